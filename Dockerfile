# Kodiak, built from this source tree. Used by docker-compose.yml; also works on its own:
#   docker build -t kodiak . && docker run -p 8080:8080 kodiak demo --listen 0.0.0.0:8080
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY lb-core/pom.xml lb-core/
COPY lb-health/pom.xml lb-health/
COPY lb-metrics/pom.xml lb-metrics/
COPY lb-core/src lb-core/src
COPY lb-health/src lb-health/src
COPY lb-metrics/src lb-metrics/src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# bin/kodiak in the layout it expects, without sources, so it never builds. It starts the JVM with a
# bounded heap (-Xmx512m) and -XX:+ExitOnOutOfMemoryError; KODIAK_JAVA_OPTS=-Xmx1g overrides.
COPY --from=build /src/lb-core/target/classes /opt/kodiak/lb-core/target/classes
COPY --from=build /src/lb-core/target/lib /opt/kodiak/lb-core/target/lib
COPY bin/kodiak /opt/kodiak/bin/kodiak
# A fixed uid (numeric, so that Kubernetes' runAsNonRoot can check it) owning the state directory;
# KODIAK_HOME is where Kodiak writes the admin token that `kodiak ctl` reads in the container.
RUN groupadd --system --gid 10001 kodiak \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/kodiak --shell /usr/sbin/nologin kodiak \
    && mkdir -p /var/lib/kodiak \
    && chown 10001:10001 /var/lib/kodiak \
    && chmod 0750 /var/lib/kodiak
ENV PATH=/opt/kodiak/bin:$PATH KODIAK_HOME=/var/lib/kodiak
USER 10001:10001
EXPOSE 8080 9404
ENTRYPOINT ["/opt/kodiak/bin/kodiak"]
CMD ["run", "-c", "/etc/kodiak/kodiak.yaml"]
