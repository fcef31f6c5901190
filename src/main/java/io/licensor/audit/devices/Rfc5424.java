package io.licensor.audit.devices;

import io.licensor.audit.AuditRecord;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * An audit record as a syslog message (RFC 5424), framed for TCP by octet counting (RFC 6587
 * §3.4.1: {@code LENGTH SP MESSAGE}), as rsyslog, syslog-ng and SIEM collectors take it:
 *
 * <pre>
 * &lt;38&gt;1 2026-12-07T14:00:00.123456Z node-1 licensor 4242 license.issued
 *   [licensor@32473 tenant="contoso" seq="17" outcome="ok" kid="contoso:2" requestId="..." prev="..." hash="..."]
 *   BOM{"tenant":"contoso","seq":17,...}
 * </pre>
 *
 * The structured data names the record's place in its chain; the message is the whole record as
 * JSON (UTF-8, after a BOM as RFC 5424 asks). Severity: informational for an {@code ok} outcome,
 * notice for any other. 32473 is the private enterprise number RFC 5612 sets aside for examples; a
 * deployment with its own sets {@code audit.syslog.sdId}.
 */
public final class Rfc5424 {

  /** The facilities an audit stream goes to: auth, authpriv, local0 to local7 (RFC 5424 §6.2.1). */
  public static final Map<String, Integer> FACILITIES = Map.ofEntries(Map.entry("auth", 4), Map.entry("authpriv", 10),
      Map.entry("local0", 16), Map.entry("local1", 17), Map.entry("local2", 18), Map.entry("local3", 19),
      Map.entry("local4", 20), Map.entry("local5", 21), Map.entry("local6", 22), Map.entry("local7", 23));
  static final int INFORMATIONAL = 6;
  static final int NOTICE = 5;
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private final int facility;
  private final String hostname;
  private final String procId;
  private final String sdId;

  public Rfc5424(int facility, String hostname, long pid, String sdId) {
    this.facility = facility;
    this.hostname = header(hostname, 255);
    this.procId = Long.toString(pid);
    this.sdId = sdId;
  }

  /** The record's message, framed: {@code LENGTH SP MESSAGE}. */
  public Buffer frame(AuditRecord r) {
    byte[] message = message(r);
    return Buffer.buffer(message.length + 8).appendString(Integer.toString(message.length)).appendByte((byte) ' ')
        .appendBytes(message);
  }

  /** The message alone (RFC 5424 §6). */
  byte[] message(AuditRecord r) {
    int severity = "ok".equals(r.event().outcome()) ? INFORMATIONAL : NOTICE;
    StringBuilder head = new StringBuilder(256)
        .append('<').append(facility * 8 + severity).append(">1 ")
        .append(r.event().at()).append(' ')
        .append(hostname).append(' ')
        .append("licensor ")
        .append(procId).append(' ')
        .append(header(r.event().action(), 32)).append(' ')
        .append('[').append(sdId);
    param(head, "tenant", r.event().tenantId());
    param(head, "seq", Long.toString(r.seq()));
    param(head, "outcome", r.event().outcome());
    param(head, "kid", r.event().kid());
    param(head, "requestId", r.event().requestId());
    param(head, "prev", r.prevHash());
    param(head, "hash", r.hash());
    head.append("] ");
    byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
    byte[] body = r.toJson().encode().getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[h.length + BOM.length + body.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(BOM, 0, out, h.length, BOM.length);
    System.arraycopy(body, 0, out, h.length + BOM.length, body.length);
    return out;
  }

  private static void param(StringBuilder sd, String name, String value) {
    if (value == null) {
      return;
    }
    sd.append(' ').append(name).append("=\"");
    // RFC 5424 §6.3.3: '"', '\' and ']' are escaped in a PARAM-VALUE
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c == ']') {
        sd.append('\\');
      }
      sd.append(c);
    }
    sd.append('"');
  }

  /** A header field: printable US-ASCII without spaces, at most {@code max} characters; '-' for none. */
  static String header(String value, int max) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), max));
    for (int i = 0; i < value.length() && out.length() < max; i++) {
      char c = value.charAt(i);
      out.append(c > 32 && c < 127 ? c : '_');
    }
    return out.toString();
  }

  /** The facility's number; an unknown name is a configuration error. */
  public static int facility(String name) {
    Integer f = FACILITIES.get(name.toLowerCase(Locale.ROOT));
    if (f == null) {
      throw new IllegalArgumentException("audit.syslog.facility: one of " + String.join(", ", new java.util.TreeSet<>(FACILITIES.keySet()))
          + ", not " + name);
    }
    return f;
  }
}
