package io.ratelimit.core;

import java.util.Objects;
import java.util.function.Function;

/**
 * A kind of document that workers share with the run ({@link RateLimitCoordinator#publish(DocumentKind, Object)}):
 * its name in the run and its codec, so that what one module writes another reads as the same type, never as a
 * bare string. Each worker keeps its latest document of each kind.
 *
 * @param <T> the document's type
 */
public final class DocumentKind<T> {
  private final String name;
  private final Function<T, String> encode;
  private final Function<String, T> decode;

  private DocumentKind(String name, Function<T, String> encode, Function<String, T> decode) {
    this.name = Objects.requireNonNull(name, "name");
    this.encode = Objects.requireNonNull(encode, "encode");
    this.decode = Objects.requireNonNull(decode, "decode");
  }

  /** A kind named {@code name} whose documents {@code encode} writes as text and {@code decode} reads back. */
  public static <T> DocumentKind<T> of(String name, Function<T, String> encode, Function<String, T> decode) {
    return new DocumentKind<>(name, encode, decode);
  }

  /** A kind of plain text documents. */
  public static DocumentKind<String> text(String name) {
    return new DocumentKind<>(name, Function.identity(), Function.identity());
  }

  /** Its name in the run. */
  public String name() {
    return name;
  }

  String encode(T document) {
    return encode.apply(Objects.requireNonNull(document, "document"));
  }

  T decode(String text) {
    return decode.apply(text);
  }

  @Override
  public String toString() {
    return "documents '" + name + "'";
  }
}
