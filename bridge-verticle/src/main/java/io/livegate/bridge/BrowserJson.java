package io.livegate.bridge;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.jackson.DatabindCodec;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * The JSON text of frames for browsers. As Vert.x encodes it, except for fractional numbers: Java writes
 * 12345678.5 as {@code 1.23456785E7}, JavaScript as {@code 12345678.5}. Both are valid JSON, but a page (or a
 * client that scans frames) should get back a number the way its publisher, most often JavaScript, wrote
 * it. So doubles are written in plain notation where JavaScript uses it (1e-7 &le; |x| &lt; 1e21), with Java's
 * digits; integers, and numbers outside that range, are written as before.
 */
final class BrowserJson {
  private static final ObjectMapper MAPPER = DatabindCodec.mapper().copy()
      .registerModule(new SimpleModule("livegate-browser-numbers")
          .addSerializer(Double.class, new PlainNumber<>(Double.class))
          .addSerializer(Float.class, new PlainNumber<>(Float.class)));

  /** @throws EncodeException if the value holds something JSON cannot carry */
  static String encode(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException | RuntimeException e) { // as Vert.x's own encoder reports it
      throw new EncodeException("Failed to encode as JSON: " + e.getMessage(), e);
    }
  }

  /** How JavaScript's {@code String(x)} lays out the digits Java gives for {@code x}. */
  static String number(double x) {
    String java = Double.toString(x);
    double magnitude = Math.abs(x);
    if (java.indexOf('E') < 0 || magnitude < 1e-7 || magnitude >= 1e21) return java;
    return new BigDecimal(java).toPlainString();
  }

  /** Doubles and floats; a float by its own (shorter) digits. */
  private static final class PlainNumber<T extends Number> extends StdSerializer<T> {
    PlainNumber(Class<T> type) {
      super(type);
    }

    @Override
    public void serialize(T value, JsonGenerator out, SerializerProvider provider) throws IOException {
      double x = value instanceof Float f ? Double.parseDouble(Float.toString(f)) : value.doubleValue();
      if (Double.isNaN(x) || Double.isInfinite(x)) {
        out.writeNumber(x); // as Vert.x does (Jackson's own choice for what JSON has no number for)
      } else {
        out.writeNumber(number(x));
      }
    }
  }

  private BrowserJson() {}
}
