package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
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

/**
 * A YAML mapping compiled into a {@link DomainTopology}: one mapping processor per table; a table
 * whose entities declare a {@code join} is read through {@link TopologyContext#joinForeignKey}
 * (step = the table), and all its entities see the joined row.
 */
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
    Map<String, EntityDefinition.JoinDefinition> joins = new LinkedHashMap<>();
    // TOAST columns of a joined table are filled before the join, for all its entities at once.
    Map<String, Set<String>> joinToast = new LinkedHashMap<>();
    for (EntityDefinition def : entities) {
      if (def.join() != null) {
        joins.put(def.table(), def.join());
      }
    }
    Map<String, List<EntityMapper>> byTable = new LinkedHashMap<>();
    for (EntityDefinition def : entities) {
      boolean joined = joins.containsKey(def.table());
      if (joined) {
        joinToast
            .computeIfAbsent(def.table(), t -> new LinkedHashSet<>())
            .addAll(def.toastColumns());
      }
      byTable
          .computeIfAbsent(def.table(), t -> new ArrayList<>())
          .add(new EntityMapper(def, ctx.domainTopic(def.entity()), !joined));
    }
    byTable.forEach(
        (table, mappers) -> {
          EntityDefinition.JoinDefinition join = joins.get(table);
          if (join == null) {
            ctx.mapTable(builder, table, new Mapper(mappers));
          } else {
            ForeignKeyJoin fk = foreignKeyJoin(join);
            Set<String> toast = joinToast.getOrDefault(table, Set.of());
            if (!toast.isEmpty()) {
              fk = fk.toast(List.copyOf(toast));
            }
            ctx.joinForeignKey(builder, table.replace('.', '_'), table, fk, new Mapper(mappers));
          }
        });
  }

  private static ForeignKeyJoin foreignKeyJoin(EntityDefinition.JoinDefinition def) {
    ForeignKeyJoin join =
        ForeignKeyJoin.of(def.table(), def.on(), def.alias())
            .strategy(def.strategy())
            .waitFor(def.waitFor())
            .catchUpWait(def.catchUpWait());
    if (def.where() == null) {
      return join;
    }
    return join.where(
        row -> {
          Object result = Expressions.evaluate(def.where(), new Row(def.table(), row));
          if (result instanceof Boolean b) {
            return b;
          }
          throw new MappingException(
              "join condition 'where: "
                  + def.where().getSourceText()
                  + "' on table '"
                  + def.table()
                  + "' gave "
                  + result
                  + ", not true or false");
        });
  }

  @Override
  public String toString() {
    return "YAML mapping of service '" + service + "' (" + source + ")";
  }

  private record Mapper(List<EntityMapper> mappers) implements TableMapper {
    @Override
    public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) {
      // Every entity keeps the TOAST values of the change before any of them may fail its mapping.
      List<Map<String, Object>> filled = new ArrayList<>(mappers.size());
      MappingException failed = null;
      for (EntityMapper mapper : mappers) {
        try {
          filled.add(mapper.fill(change, scope));
        } catch (MappingException e) {
          failed = failed == null ? e : failed;
          filled.add(null);
        }
      }
      if (failed != null) {
        throw failed;
      }
      List<Output<?, ?>> out = new ArrayList<>();
      for (int i = 0; i < mappers.size(); i++) {
        mappers.get(i).map(change, filled.get(i), scope, out);
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
