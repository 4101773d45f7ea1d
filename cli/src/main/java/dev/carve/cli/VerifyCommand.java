package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.MappingFunctions;
import dev.carve.cli.verify.ReconcileReport;
import dev.carve.cli.verify.Reconciler;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.api.DomainTopology;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code carve verify <service>}: proves the service's tables equal the mapping of the monolith.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Reads the monolith's tables through the service's own mapping code and compares the result",
      "with the service's tables key by key: missing, extra and different rows. Exit code 0 only",
      "when they are equal."
    })
public final class VerifyCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SERVICE",
      description = "The service, as named in carve.yaml.")
  String service;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    CarveConfig.ServiceSettings s = c.service(service);
    if (c.source() == null) {
      throw new UserFacingException(
          "carve verify needs the monolith's database: add a 'source' section to carve.yaml");
    }
    PrintWriter out = spec.commandLine().getOut();
    String ref =
        s.topology().endsWith(".yaml") || s.topology().endsWith(".yml")
            ? c.resolve(s.topology()).toString()
            : s.topology();
    DomainTopology topology = TransformerRuntime.loadTopology(ref);
    List<EntitySchemas> entities = SchemaCatalog.fromClasspath().entities(service);
    CarveConfig.Database t = s.target();
    Reconciler reconciler =
        new Reconciler(
            service,
            entities,
            MappingFunctions.of(topology, "legacy", s.onError(), c.registryUrl()),
            new Reconciler.Db(
                c.source().jdbcUrl(), c.source().username(), c.source().password(), "public"),
            new Reconciler.Db(t.jdbcUrl(), t.username(), t.password(), t.schema()));
    long t0 = System.nanoTime();
    ReconcileReport report =
        reconciler.run(
            line -> {
              out.println("  " + line);
              out.flush();
            });
    out.print(report.render());
    out.printf(
        java.util.Locale.ROOT,
        "%s: %s (%.1f s)%n",
        service,
        report.equal() ? "EQUAL to the mapped source" : "DIFFERENT from the mapped source",
        (System.nanoTime() - t0) / 1e9);
    out.flush();
    return report.equal() ? 0 : Carve.EXIT_FAILURE;
  }
}
