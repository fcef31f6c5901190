package io.licensor.client;

/**
 * A publishing license (a JWE, docs/formats.md): the content key wrapped under the tenant's key
 * version {@code kid}, with the policy; made offline by this client or online by the server.
 */
public record PublishingLicense(String tenant, String contentId, String kid, String compact) {
}
