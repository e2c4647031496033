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

/** Uploads an audio file as a take of the piece; resolves with the take (see GET /api/takes/{id}). */
export function uploadTake(pieceId, file) {
  return api(`/api/pieces/${pieceId}/takes`, {
    method: "POST",
    body: file,
    headers: { "X-Filename": encodeURIComponent(file.name || "recording"), "Content-Type": "application/octet-stream" },
  });
}
