package io.ratelimit.junit.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * JUnit's file publishing ({@code ExtensionContext.publishFile}, 5.12 and later), reached so that the
 * extension still runs on 5.10 and 5.11, where it does nothing. 6.x takes {@code org.junit.jupiter.api.MediaType};
 * 5.12-5.14 only {@code org.junit.jupiter.api.extension.MediaType}, which 6.x deprecates: the newer one wins.
 */
final class JUnitFiles {
  /**
   * {@code publishFile(String, MediaType, ThrowingConsumer)} with the JSON media type bound: (context, name,
   * writer); null before 5.12.
   */
  private static final MethodHandle PUBLISH_JSON = publishJsonHandle();

  private JUnitFiles() {}

  private static MethodHandle publishJsonHandle() {
    for (String mediaType : new String[] {"org.junit.jupiter.api.MediaType", "org.junit.jupiter.api.extension.MediaType"}) {
      try {
        Class<?> type = Class.forName(mediaType, false, ExtensionContext.class.getClassLoader());
        Method method = ExtensionContext.class.getMethod("publishFile", String.class, type, ThrowingConsumer.class);
        Object json = type.getField("APPLICATION_JSON").get(null);
        return MethodHandles.insertArguments(MethodHandles.publicLookup().unreflect(method), 2, json);
      } catch (ReflectiveOperationException | LinkageError notOnThisLine) {
        // the next one, or none: a JUnit before 5.12
      }
    }
    return null;
  }

  /**
   * Attaches {@code json} as the file {@code name} to {@code context}'s test or container, where JUnit can.
   *
   * @return false on a JUnit without file publishing
   */
  static boolean publishJson(ExtensionContext context, String name, String json) {
    if (PUBLISH_JSON == null) {
      return false;
    }
    ThrowingConsumer<Path> write = path -> Files.writeString(path, json, StandardCharsets.UTF_8);
    try {
      PUBLISH_JSON.invoke(context, name, write);
      return true;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
