import { idSchema, newId } from './ids';

describe('newId', () => {
  it('mints version-7 UUIDs that the edge accepts as they are', () => {
    const id = newId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idSchema.parse(id)).toBe(id);
  });

  it('starts with its creation time, so ids sort in the order they were minted', async () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, () => newId());
    await new Promise((resolve) => setTimeout(resolve, 2));
    ids.push(newId());
    const after = Date.now();
    const millis = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis(ids[0] as string)).toBeGreaterThanOrEqual(before);
    expect(millis(ids.at(-1) as string)).toBeLessThanOrEqual(after);
    // Ordered as PostgreSQL orders uuid values (bytewise), which for lower-case hex is string order.
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
