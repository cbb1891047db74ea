/** Leadership was lost during a cycle: the rest of the cycle must not act, write or notify. */
export class LostLeadershipError extends Error {
  override readonly name = 'LostLeadershipError';
  constructor() {
    super('lost leadership during the cycle: stopped acting');
  }
}
