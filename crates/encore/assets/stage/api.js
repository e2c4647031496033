// The stage's JSON API (docs/stage.md). Errors carry the server's message, which is written for
// the performer.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("the stage did not answer; is `encore stage` still running?", 0);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(data?.error || `the stage answered ${response.status}`, response.status);
  return data;
}

/**
 * Uploads an audio file as a take of the piece; resolves with the take (see GET /api/takes/{id}).
 * `onHeard(fraction, ahead)` is told, about twice a second, how much of it has been heard, and
 * while it waits for its turn, how many takes are ahead of it (else null).
 */
export async function uploadTake(pieceId, file, onHeard = () => {}) {
  // Not crypto.randomUUID: a stage bound beyond loopback is served over plain HTTP, where it is missing.
  const id = `u${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  let polling = true;
  const poll = async () => {
    while (polling) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!polling) break;
      try {
        const { heard, waiting_behind: ahead } = await api(`/api/uploads/${id}`);
        if (polling) onHeard(heard, ahead ?? null);
      } catch {
        // Not started yet, or finished: the upload's own answer says which.
      }
    }
  };
  poll();
  try {
    return await api(`/api/pieces/${pieceId}/takes`, {
      method: "POST",
      body: file,
      headers: {
        "X-Filename": encodeURIComponent(file.name || "recording"),
        "X-Upload-Id": id,
        "Content-Type": "application/octet-stream",
      },
    });
  } finally {
    polling = false;
  }
}
