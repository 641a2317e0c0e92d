# The wpstage container: the GitHub Action's image and the one Kestra flows run.
#
# PostgreSQL client: pg_dump 18 from the PostgreSQL project's own Debian repository (PGDG),
# set up by Debian's postgresql-common helper script. pg_dump refuses to dump a server of a
# newer major than itself but dumps every older one (back to 9.2), so the newest major serves
# every Railway Postgres: Railway's templates run PostgreSQL 16 and 17, and 18 images exist.
# Debian trixie's own client is 17 and would refuse an 18 server. Change PG_MAJOR to ship another.

FROM rust:1.95-slim-trixie AS build
WORKDIR /build
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
# Every target Cargo.toml declares must exist, even as a stub, for the dependency-only build.
RUN mkdir -p src tests/it benches \
    && echo 'fn main() {}' > src/main.rs \
    && echo 'fn main() {}' > benches/rewrite.rs \
    && touch src/lib.rs tests/it/main.rs tests/live.rs \
    && cargo build --release --locked \
    && rm -rf src tests benches
COPY src ./src
COPY tests ./tests
COPY benches ./benches
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin wpstage \
    && strip target/release/wpstage

FROM debian:trixie-slim
ARG PG_MAJOR=18
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && rm -rf /var/lib/apt/lists/* \
    && "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" --version
COPY --from=build /build/target/release/wpstage /usr/local/bin/wpstage
# No USER: GitHub runs container actions as root so they can write the workspace and the
# runner's file commands. Exec form with an absolute path; `args` from action.yml follow it.
ENTRYPOINT ["/usr/local/bin/wpstage", "action"]
