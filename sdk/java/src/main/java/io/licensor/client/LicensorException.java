package io.licensor.client;

/**
 * Everything this library throws: a refusal of the server ({@link ProblemException}, one subclass
 * per problem slug), the server out of reach ({@link UnreachableException}), a use license that does
 * not verify ({@link LicenseRejectedException}), a protected container that is not one or was changed
 * ({@link ContentException}), or a right the license does not give ({@link RightNotGrantedException}).
 */
public class LicensorException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public LicensorException(String message) {
    super(message);
  }

  public LicensorException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The server could not be reached, or did not answer in time (after the retries allowed). */
  public static final class UnreachableException extends LicensorException {
    private static final long serialVersionUID = 1L;

    public UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * A use license this client does not trust: not signed by a key the tenant publishes in
   * {@code jwks.json}, a delegated key without a valid certificate from its version, or not for this
   * tenant, content, client key or time.
   */
  public static final class LicenseRejectedException extends LicensorException {
    private static final long serialVersionUID = 1L;

    public LicenseRejectedException(String message) {
      super(message);
    }
  }

  /** Input that is not a licensor-protected container, or one whose header or content was changed. */
  public static final class ContentException extends LicensorException {
    private static final long serialVersionUID = 1L;
    private final boolean tampered;

    public ContentException(String message, boolean tampered) {
      super(message);
      this.tampered = tampered;
    }

    /** True when it is a container, but it does not decrypt under the licensed key (changed or damaged). */
    public boolean tampered() {
      return tampered;
    }
  }

  /** The use license was issued, but without the right the caller asked to exercise. */
  public static final class RightNotGrantedException extends LicensorException {
    private static final long serialVersionUID = 1L;
    private final UseLicense license;
    private final Right needed;

    public RightNotGrantedException(UseLicense license, Right needed) {
      super("the license grants " + license.subject() + " " + license.rights() + ", not " + needed);
      this.license = license;
      this.needed = needed;
    }

    public UseLicense license() {
      return license;
    }

    public Right needed() {
      return needed;
    }
  }
}
