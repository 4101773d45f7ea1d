package dev.carve.schemas.registry.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.registry.RestSchemaRegistryClient;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded registry on a real Kafka topic: ids and versions survive a restart. */
@Timeout(120)
class EmbeddedSchemaRegistryIT {
  private static final Schema V1 =
      SchemaBuilder.record("Invoice").namespace("it").fields().requiredLong("id").endRecord();
  private static final Schema V2 =
      SchemaBuilder.record("Invoice")
          .namespace("it")
          .fields()
          .requiredLong("id")
          .optionalString("note")
          .endRecord();
  private static final Schema OTHER =
      SchemaBuilder.record("Payment").namespace("it").fields().requiredInt("cents").endRecord();

  private static EmbeddedSchemaRegistry start(String topic) {
    return EmbeddedSchemaRegistry.start(
        EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers()).withTopic(topic));
  }

  @Test
  void restartOnTheSameTopicKeepsIdsVersionsAndConfig() throws Exception {
    String topic = "_schemas_it_restart";
    int invoiceV1;
    int invoiceV2;
    int payment;
    byte[] written;
    GenericRecord record = new GenericRecordBuilder(V2).set("id", 7L).set("note", "x").build();
    try (EmbeddedSchemaRegistry registry = start(topic)) {
      RestSchemaRegistryClient client = RestSchemaRegistryClient.of(registry.url());
      invoiceV1 = client.register("billing.invoice-value", V1);
      invoiceV2 = client.register("billing.invoice-value", V2);
      payment = client.register("billing.payment-value", OTHER);
      client.setSubjectCompatibility("billing.payment-value", CompatibilityLevel.FULL);
      client.register("billing.gone-value", OTHER);
      client.deleteSubject("billing.gone-value", false);
      Serde<GenericRecord> serde =
          AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false);
      written = serde.serializer().serialize("billing.invoice", record);
    }

    try (EmbeddedSchemaRegistry restarted = start(topic)) {
      RestSchemaRegistryClient client = RestSchemaRegistryClient.of(restarted.url());

      assertThat(client.schemaById(invoiceV1)).isEqualTo(V1);
      assertThat(client.version("billing.invoice-value", 2))
          .isEqualTo(new RegisteredSchema("billing.invoice-value", invoiceV2, 2, V2));
      assertThat(client.register("billing.payment-value", OTHER)).isEqualTo(payment);
      assertThat(client.register("billing.invoice-value", V1)).isEqualTo(invoiceV1);
      assertThat(client.subjects())
          .containsExactlyInAnyOrder("billing.invoice-value", "billing.payment-value");
      assertThat(client.subjectCompatibility("billing.payment-value"))
          .contains(CompatibilityLevel.FULL);
      int next =
          client.register(
              "billing.new-value",
              SchemaBuilder.record("New").fields().requiredLong("n").endRecord());
      assertThat(next).isGreaterThan(Math.max(invoiceV1, Math.max(invoiceV2, payment)));
      Serde<GenericRecord> serde =
          AvroSerdes.generic(Map.of("schema.registry.url", restarted.url()), false);
      assertThat(serde.deserializer().deserialize("billing.invoice", written)).isEqualTo(record);
    }
  }

  @Test
  void createsTheTopicCompactedWithOnePartition() throws Exception {
    String topic = "_schemas_it_created";
    try (EmbeddedSchemaRegistry registry = start(topic)) {
      RestSchemaRegistryClient.of(registry.url()).register("s-value", V1);
    }

    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      var resource =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
      String policy =
          admin
              .describeConfigs(List.of(resource))
              .all()
              .get()
              .get(resource)
              .get(TopicConfig.CLEANUP_POLICY_CONFIG)
              .value();
      assertThat(description.partitions()).hasSize(1);
      assertThat(policy).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
  }

  @Test
  void refusesATopicThatIsNotCompacted() {
    String topic = "_schemas_it_not_compacted";
    TestKafka.createTopics(1, false, topic);

    assertThatThrownBy(() -> start(topic))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topic)
        .hasMessageContaining("cleanup.policy=delete");
  }

  @Test
  void permanentDeleteSurvivesARestart() {
    String topic = "_schemas_it_delete";
    try (EmbeddedSchemaRegistry registry = start(topic)) {
      RestSchemaRegistryClient client = RestSchemaRegistryClient.of(registry.url());
      client.register("temp-value", V1);
      client.deleteSubject("temp-value", false);
      client.deleteSubject("temp-value", true);
    }

    try (EmbeddedSchemaRegistry restarted = start(topic)) {
      RestSchemaRegistryClient client = RestSchemaRegistryClient.of(restarted.url());

      assertThatThrownBy(() -> client.versions("temp-value"))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    }
  }
}
