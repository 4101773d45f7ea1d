package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.capture.internal.ConnectConverters;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class ConnectConvertersTest {
  private static final Schema KEY =
      SchemaBuilder.struct().field("order_ref", Schema.STRING_SCHEMA).build();
  private static final Schema VALUE =
      SchemaBuilder.struct()
          .field("order_ref", Schema.STRING_SCHEMA)
          .field("total_amount", Schema.OPTIONAL_STRING_SCHEMA)
          .build();

  private static SourceRecord record() {
    SourceRecord r =
        new SourceRecord(
            Map.of("server", "legacy"),
            Map.of("lsn", 1L),
            "legacy.public.orders",
            null,
            KEY,
            new Struct(KEY).put("order_ref", "ORD-2019-00042"),
            VALUE,
            new Struct(VALUE).put("order_ref", "ORD-2019-00042").put("total_amount", "12.50"));
    r.headers().addString("__debezium.context", "x");
    return r;
  }

  @Test
  void schemalessJsonConvertersWriteWhatConnectWrites() {
    ConnectConverters converters =
        ConnectConverters.fromConnectorConfig(
            Map.of(
                "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable", "false",
                "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable", "false"));

    ProducerRecord<byte[], byte[]> out = converters.toProducerRecord(record());

    assertThat(out.topic()).isEqualTo("legacy.public.orders");
    assertThat(out.partition()).isNull();
    assertThat(new String(out.key(), StandardCharsets.UTF_8))
        .isEqualTo("{\"order_ref\":\"ORD-2019-00042\"}");
    assertThat(new String(out.value(), StandardCharsets.UTF_8))
        .isEqualTo("{\"order_ref\":\"ORD-2019-00042\",\"total_amount\":\"12.50\"}");
    assertThat(
            new String(
                out.headers().lastHeader("__debezium.context").value(), StandardCharsets.UTF_8))
        .isEqualTo("x");
  }

  @Test
  void converterPropertiesArePassedWithoutTheirPrefix() {
    ConnectConverters converters =
        ConnectConverters.fromConnectorConfig(
            Map.of(
                "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable", "true",
                "value.converter", "org.apache.kafka.connect.storage.StringConverter"));

    ProducerRecord<byte[], byte[]> out = converters.toProducerRecord(record());

    assertThat(new String(out.key(), StandardCharsets.UTF_8))
        .startsWith("{\"schema\":{\"type\":\"struct\"");
    assertThat(new String(out.value(), StandardCharsets.UTF_8))
        .startsWith("Struct{order_ref=ORD-2019-00042");
  }

  // Regression: a converter that failed to configure printed its whole config map, so
  // value.converter.basic.auth.user.info reached the CLI output, the logs and lastError.
  @Test
  void converterThatCannotBeConfiguredNamesTheKeyAndMasksSecrets() {
    assertThatThrownBy(
            () ->
                ConnectConverters.fromConnectorConfig(
                    Map.of(
                        "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                        "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                        "value.converter.schemas.enable", "maybe",
                        "value.converter.basic.auth.user.info", "u:s3cret",
                        "value.converter.schema.registry.ssl.truststore.password", "tr0ub4dor",
                        "value.converter.schema.registry.url", "https://u:hunter2@registry:8081")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value.converter")
        .hasMessageContaining("schemas.enable")
        .hasMessageContaining("maybe")
        .hasMessageContaining("basic.auth.user.info=****")
        .hasMessageNotContaining("s3cret")
        .hasMessageNotContaining("tr0ub4dor")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void unknownConverterClassNamesTheKey() {
    assertThatThrownBy(
            () ->
                ConnectConverters.fromConnectorConfig(
                    Map.of(
                        "key.converter", "com.example.Missing",
                        "value.converter", "org.apache.kafka.connect.json.JsonConverter")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'key.converter'")
        .hasMessageContaining("com.example.Missing");
  }
}
