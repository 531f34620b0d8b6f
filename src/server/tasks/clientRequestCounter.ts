import { ApiError } from '../../core/errors';

/**
 * How many infer requests each client has queued or running, so that one client cannot fill the queue for
 * everyone. A client is its user name when auth is on, else its address.
 */
export class ClientRequestCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerClient: number) {}

  /** Takes a slot for `client`, or refuses with 429; the returned function gives it back (once). */
  acquire(client: string): () => void {
    const n = this.counts.get(client) ?? 0;
    if (n >= this.maxPerClient) {
      throw new ApiError('TOO_MANY_REQUESTS', `${client} already has ${n} inference request(s) queued or running, the server's limit maxRequestsPerClient = ${this.maxPerClient} (wbct serve --max-requests-per-client); retry when one has finished`);
    }
    this.counts.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(client) ?? 1) - 1;
      if (left <= 0) this.counts.delete(client);
      else this.counts.set(client, left);
    };
  }
}
