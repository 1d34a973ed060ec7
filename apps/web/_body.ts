// Request bodies with a size limit: a body declared larger is refused on its headers, and one
// sent in chunks is cut off where it passes the limit, so no client makes the console read (or
// parse) more than the limit, whoever they are.

/** The most the login form's body may hold: a username, a password and a token. */
export const LOGIN_BODY_LIMIT = 64 * 1024;
/** The most any other body may hold: a command's form or a job's JSON. */
export const BODY_LIMIT = 1024 * 1024;

/** Thrown by a bounded body's reader when the body passes its limit. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes`);
  }
}

/** A request whose body is read only up to a limit, and whether the limit was passed. */
export interface BoundedRequest {
  /** The request, its body cut off (with {@linkcode BodyTooLarge}) past the limit. */
  readonly request: Request;
  /** Whether the body passed the limit while it was read. */
  exceeded(): boolean;
}

/**
 * Bounds a request's body to `limit` bytes: undefined when its `Content-Length` is over the
 * limit already (refuse it unread); otherwise the request with a body that errors once more
 * than `limit` bytes have come, and stops reading from the client then.
 */
export function boundBody(request: Request, limit: number): BoundedRequest | undefined {
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= limit)) return undefined;
  if (request.body === null) return { request, exceeded: () => false };
  let received = 0;
  let exceeded = false;
  const reader = request.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      received += value.byteLength;
      if (received > limit) {
        exceeded = true;
        controller.error(new BodyTooLarge(limit));
        await reader.cancel();
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { request: new Request(request, { body }), exceeded: () => exceeded };
}

/** Whether a request's body says it is an HTML form. */
export function isForm(request: Request): boolean {
  const type = request.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
  return type === "application/x-www-form-urlencoded" || type === "multipart/form-data";
}

/** A form body, or undefined when it is not a form or cannot be read as one. */
export async function readForm(request: Request): Promise<FormData | undefined> {
  if (!isForm(request)) return undefined;
  try {
    return await request.formData();
  } catch (error) {
    if (error instanceof BodyTooLarge) throw error;
    return undefined;
  }
}
