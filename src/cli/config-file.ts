/**
 * `--config FILE` of `nmcp serve`: a JSON object with one section of options per transport, passed as they are to the
 * transport (which validates them and names a bad key):
 *
 *   { "stdio": { "readTimeoutMs": 10000 }, "tcp": { "maxConnections": 500 }, "http": { "sessionIdleTimeoutMs": 60000 } }
 *
 * Command-line flags win over the file. Environments, NMCP_* variables and live reload are the operations issue's
 * config module; this file only reads and checks the shape.
 */

import { isJsonObject, readConfigJson } from './args.js';

export const CONFIG_SECTIONS = ['stdio', 'tcp', 'http'] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];
export type ServeConfig = { [K in ConfigSection]?: Record<string, unknown> };

/** Reads and checks a config file; returns the config, or a message saying what is wrong and where. */
export async function loadServeConfig(path: string): Promise<ServeConfig | string> {
  const read = await readConfigJson(path);
  if ('problem' in read) return read.problem;
  const value = read.value;
  if (!isJsonObject(value)) {
    return `--config ${JSON.stringify(path)} must hold a JSON object with sections ${CONFIG_SECTIONS.join(', ')}`;
  }
  const config: ServeConfig = {};
  for (const [key, section] of Object.entries(value)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      return `--config ${JSON.stringify(path)}: unknown section ${JSON.stringify(key)} (known: ${CONFIG_SECTIONS.join(', ')})`;
    }
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      return `--config ${JSON.stringify(path)}: section ${JSON.stringify(key)} must be an object of options`;
    }
    config[key as ConfigSection] = section as Record<string, unknown>;
  }
  return config;
}
