package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.TopologyContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.StreamsBuilder;

/** A YAML mapping compiled into a {@link DomainTopology}: one mapping processor per table. */
public final class YamlDomainTopology implements DomainTopology {
  private final String service;
  private final String source;
  private final List<EntityDefinition> entities;

  YamlDomainTopology(String service, String source, List<EntityDefinition> entities) {
    this.service = service;
    this.source = source;
    this.entities = List.copyOf(entities);
  }

  @Override
  public String service() {
    return service;
  }

  /** The entity names in file order. */
  public List<String> entities() {
    return entities.stream().map(EntityDefinition::entity).toList();
  }

  @Override
  public void define(StreamsBuilder builder, TopologyContext ctx) {
    Map<String, List<EntityMapper>> byTable = new LinkedHashMap<>();
    for (EntityDefinition def : entities) {
      byTable
          .computeIfAbsent(def.table(), t -> new ArrayList<>())
          .add(new EntityMapper(def, ctx.domainTopic(def.entity())));
    }
    byTable.forEach((table, mappers) -> ctx.mapTable(builder, table, new Mapper(mappers)));
  }

  @Override
  public String toString() {
    return "YAML mapping of service '" + service + "' (" + source + ")";
  }

  private record Mapper(List<EntityMapper> mappers) implements TableMapper {
    @Override
    public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) {
      List<Output<?, ?>> out = new ArrayList<>();
      for (EntityMapper mapper : mappers) {
        mapper.map(change, scope, out);
      }
      return out;
    }

    @Override
    public Set<String> stores() {
      Set<String> stores = new LinkedHashSet<>();
      mappers.forEach(m -> stores.addAll(m.stores()));
      return stores;
    }
  }
}
