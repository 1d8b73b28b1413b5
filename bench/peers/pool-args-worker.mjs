// bench:pool-args: the worker side. Gets a call's arguments one of three ways and makes them an object again:
// `args` (a structured clone: already an object), `bytes` (UTF-8 JSON, transferred: decode + JSON.parse) or `text`
// (a JSON string, cloned: JSON.parse). `frame` says the JSON is the whole request (pick params.arguments) rather than
// the arguments alone. Returns a number so that the result's trip back costs the same for every variant.
const decoder = new TextDecoder();

export default function run({ args, bytes, text, frame }) {
  let value = args;
  if (bytes !== undefined) value = JSON.parse(decoder.decode(bytes));
  else if (text !== undefined) value = JSON.parse(text);
  if (frame) value = value.params.arguments;
  return typeof value === 'object' && value !== null ? Object.keys(value).length : -1;
}

/** The same through WorkerPool (a handler: its arguments already parsed by worker-entry, whichever way they came). */
export function keys(args) {
  return typeof args === 'object' && args !== null ? Object.keys(args).length : -1;
}
