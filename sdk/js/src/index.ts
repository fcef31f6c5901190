export * from "./errors.js";
export { LicensorClient, RIGHTS, type Right, type Grant, type Policy, type CurrentKey, type PublishingLicense, type UseLicense,
  type ClientOptions, type Publishing } from "./client.js";
export { read as readContainer, FORMAT, MAX_CONTENT_BYTES, type Container, type ContainerHeader } from "./container.js";
