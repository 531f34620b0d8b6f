import { labelDice } from '../../src/tasks/diceScoring';

describe('labelDice', () => {
  test.each([
    [[0, 1, 1, 2, 2, 0], [0, 1, 0, 2, 2, 2], { '1': 2 / 3, '2': 0.8 }],
    [[0, 0, 0], [0, 0, 0], {}],
    [[3, 3, 0], [0, 0, 3], { '3': 0 }],
  ])('%j vs %j', (a, b, expected) => {
    const d = labelDice(Uint8Array.from(a), Uint8Array.from(b));
    expect(Object.keys(d.labels)).toEqual(Object.keys(expected));
    for (const [k, v] of Object.entries(expected)) expect(d.labels[k]).toBeCloseTo(v, 12);
    const values = Object.values(expected);
    expect(d.mean).toBeCloseTo(values.length ? values.reduce((s, v) => s + v, 0) / values.length : 1, 12);
  });

  test('uses label names when given', () => {
    expect(labelDice(Uint8Array.from([1]), Uint8Array.from([1]), { 1: 'spleen' }).labels).toEqual({ spleen: 1 });
  });
});
