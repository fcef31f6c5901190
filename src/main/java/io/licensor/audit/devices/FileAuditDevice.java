package io.licensor.audit.devices;

import io.licensor.audit.AuditRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The audit stream as JSON lines in a file ({@code audit.file.path}): one record per line, each
 * with its tenant, sequence, previous hash and hash ({@link AuditRecord#toJson()}). The file is the
 * owner's only (0600; a file others may read is refused at start-up) and is appended to by a thread
 * of its own, each batch flushed to the disk, so the event loop never waits on it. Moved away (log
 * rotation), it is made again at the next batch.
 */
public final class FileAuditDevice implements AuditDevice {

  private static final Logger LOG = LoggerFactory.getLogger(FileAuditDevice.class);
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
  /** Batches waiting for the disk before new ones are dropped (a batch holds up to audit.batchSize records). */
  static final int PENDING_BATCHES = 10_000;

  private final Path path;
  private final ThreadPoolExecutor writer;
  private final LongAdder dropped = new LongAdder();
  private FileChannel channel;
  private Object fileKey;
  private long lastWarning;

  private FileAuditDevice(Path path) {
    this.path = path;
    this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(PENDING_BATCHES), r -> {
      Thread t = new Thread(r, "licensor-audit-file");
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens (or makes, 0600) the file; refuses one that others may read or write. */
  public static FileAuditDevice open(Path path) throws IOException {
    FileAuditDevice device = new FileAuditDevice(path.toAbsolutePath());
    device.reopen();
    return device;
  }

  @Override
  public String name() {
    return "file";
  }

  @Override
  public void written(List<AuditRecord> records) {
    StringBuilder lines = new StringBuilder(records.size() * 400);
    for (AuditRecord r : records) {
      lines.append(r.toJson().encode()).append('\n');
    }
    byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
    try {
      writer.execute(() -> append(bytes, records.size()));
    } catch (RejectedExecutionException e) {
      lost(records.size(), "the file's writer is " + PENDING_BATCHES + " batches behind (or stopped)");
    }
  }

  private void append(byte[] bytes, int records) {
    try {
      if (channel == null || moved()) {
        reopen();
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(false);
    } catch (IOException e) {
      closeQuietly();
      lost(records, e.toString());
    }
  }

  private boolean moved() throws IOException {
    try {
      Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      return !Objects.equals(now, fileKey);
    } catch (NoSuchFileException e) {
      return true;
    }
  }

  private void reopen() throws IOException {
    closeQuietly();
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("audit.file.path " + path + " is not a regular file");
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      if (perms.stream().anyMatch(OTHERS::contains)) {
        throw new IOException("audit.file.path " + path + " may be read or written by others ("
            + PosixFilePermissions.toString(perms) + "): make it the owner's only (chmod 600)");
      }
    } else {
      Files.createDirectories(path.toAbsolutePath().getParent());
      Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
    fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private void closeQuietly() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a file that failed: nothing more to do
      }
      channel = null;
    }
  }

  private synchronized void lost(int records, String why) {
    dropped.add(records);
    long now = System.currentTimeMillis();
    if (now - lastWarning > 10_000) {
      lastWarning = now;
      LOG.warn("audit device file ({}): {} record(s) not copied ({} since the start; the database holds them all): {}",
          path, records, dropped.sum(), why);
    }
  }

  @Override
  public long dropped() {
    return dropped.sum();
  }

  @Override
  public Future<Void> close() {
    Promise<Void> closed = Promise.promise();
    try {
      writer.execute(() -> {
        closeQuietly();
        closed.complete();
      });
      writer.shutdown();
    } catch (RejectedExecutionException e) {
      closed.tryComplete();
    }
    return closed.future();
  }
}
