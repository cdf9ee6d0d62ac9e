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
COPY --from=build /src/lb-core/target/classes /opt/kodiak/classes
COPY --from=build /src/lb-core/target/lib /opt/kodiak/lib
RUN mkdir -p /var/lib/kodiak
EXPOSE 8080 9090 9404
ENTRYPOINT ["java", "-cp", "/opt/kodiak/classes:/opt/kodiak/lib/*", "io.kodiak.Main"]
CMD ["run", "-c", "/etc/kodiak/kodiak.yaml"]
