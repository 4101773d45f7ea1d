# Carve's command in a container: used by docker-compose.yml for the transformers, the sinks and
# the one-shot connector deployment. Build context: the repository root.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -Dspotless.skip=true package -pl cli -am

FROM eclipse-temurin:17-jre
WORKDIR /carve
COPY --from=build /src/cli/target/carve-cli.jar /carve/carve-cli.jar
COPY --from=build /src/cli/target/lib /carve/lib
COPY carve.yaml /carve/carve.yaml
COPY cdc-connector-config/connectors /carve/cdc-connector-config/connectors
COPY stream-transformer/topologies /carve/stream-transformer/topologies
ENV CARVE_JAVA_OPTS="-Xmx1g -XX:+UseParallelGC"
ENTRYPOINT ["sh", "-c", "exec java $CARVE_JAVA_OPTS -Dcarve.home=/carve -Dcarve.log.dir=/carve/logs -cp '/carve/carve-cli.jar:/carve/lib/*' dev.carve.cli.Carve \"$@\"", "carve"]
