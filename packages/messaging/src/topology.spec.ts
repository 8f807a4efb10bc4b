// Proves the replication a service asks for when nothing is configured: right for one broker in dev
// and for three in production, explicit values winning, and an impossible pair refused with its setting.
import { resolveReplication, TopologyError } from './topology';

describe('resolveReplication', () => {
  it('derives 1/1 from one broker, 2/1 from two and 3/2 from three or more', () => {
    const derived = (brokers: number) => {
      const { replicationFactor, minInsyncReplicas, explicit } = resolveReplication(
        { numPartitions: 3 },
        brokers,
      );
      return [replicationFactor, minInsyncReplicas, explicit];
    };
    expect(derived(1)).toEqual([1, 1, false]);
    expect(derived(2)).toEqual([2, 1, false]);
    expect(derived(3)).toEqual([3, 2, false]);
    expect(derived(5)).toEqual([3, 2, false]);
  });

  it('lets explicit values win, deriving min.insync.replicas from an explicit factor', () => {
    expect(resolveReplication({ numPartitions: 3, replicationFactor: 2 }, 3)).toMatchObject({
      replicationFactor: 2,
      minInsyncReplicas: 1,
      explicit: true,
    });
    expect(resolveReplication({ numPartitions: 3, minInsyncReplicas: 1 }, 3)).toMatchObject({
      replicationFactor: 3,
      minInsyncReplicas: 1,
      explicit: true,
    });
  });

  it('refuses min.insync.replicas above the replication factor, naming the setting and the cluster', () => {
    const refuse = () => resolveReplication({ numPartitions: 3, minInsyncReplicas: 2 }, 1);
    expect(refuse).toThrow(TopologyError);
    expect(refuse).toThrow(
      'KAFKA_MIN_INSYNC_REPLICAS=2 exceeds the replication factor 1 (derived from the 1 broker(s) of the cluster)',
    );
  });
});
