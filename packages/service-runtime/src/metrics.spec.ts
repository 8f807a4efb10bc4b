// Proves each consumer's state is exported as one series per state, read at scrape time: a consumer
// that stalls between two scrapes shows it at the second, with no event of its own to count.
import type { ConsumerState } from '@oncepay/messaging';
import { ServiceMetrics } from './metrics';

describe('ServiceMetrics consumer state', () => {
  it('sets 1 on the state each consumer is in now and 0 on the others', async () => {
    const metrics = new ServiceMetrics('ledger-service');
    let ledger: ConsumerState = 'running';
    metrics.watchConsumer('ledger-service', () => ledger);
    metrics.watchConsumer('other', () => 'joining');
    const scrape = async () =>
      (await metrics.registry.getSingleMetric('oncepay_consumer_state')!.get()).values.map(
        ({ labels, value }) => `${String(labels.group)} ${String(labels.state)} ${value}`,
      );

    expect(await scrape()).toEqual([
      'ledger-service joining 0',
      'ledger-service running 1',
      'ledger-service stalled 0',
      'ledger-service stopped 0',
      'ledger-service failed 0',
      'other joining 1',
      'other running 0',
      'other stalled 0',
      'other stopped 0',
      'other failed 0',
    ]);
    ledger = 'stalled';
    expect(
      (await scrape()).filter((line) => line.startsWith('ledger-service') && line.endsWith(' 1')),
    ).toEqual(['ledger-service stalled 1']);
    expect(await metrics.registry.metrics()).toContain(
      'oncepay_consumer_state{group="ledger-service",state="stalled",service="ledger-service"} 1',
    );
  });
});
