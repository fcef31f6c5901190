package io.licensor.node;

import io.licensor.config.ConfigException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One node per data directory: {@code DATA_DIR/licensor.lock}, locked (an OS file lock, gone with
 * the process however it ends) from before anything else of the start until the node has stopped,
 * and holding the pid of the node that has it. A second node on the same directory is refused at
 * once, naming the directory and that pid, before it touches the world, the database or the TLS
 * certificate.
 */
final class DataDirLock {

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static DataDirLock acquire(Path dataDir) {
    Path file = dataDir.resolve("licensor.lock");
    FileChannel channel = null;
    try {
      Files.createDirectories(dataDir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by another node in this JVM
      }
      if (lock == null) {
        String holder = Files.readString(file, StandardCharsets.US_ASCII).strip();
        channel.close();
        throw new ConfigException("dataDir (LICENSOR_DATA_DIR, serve --data-dir): " + dataDir.toAbsolutePath() + " is in use by "
            + "another licensor node" + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; one data directory serves one "
            + "node: stop that one, or give this one a directory of its own");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return new DataDirLock(channel, lock);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // closing what could not be locked
        }
      }
      throw new ConfigException("dataDir (LICENSOR_DATA_DIR): cannot lock " + file + ": " + e.getMessage());
    }
  }

  /** Releases the lock (the file stays: a later node takes it over). */
  void release() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
      channel.close();
    } catch (IOException e) {
      // the process's end releases it anyway
    }
  }
}
