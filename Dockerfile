# The wpstage container: the GitHub Action's image and the one Kestra flows run.
#
# One file, two ways to build it; the runtime stage (last) is the same in both:
#   release (defaults):  the binary is compiled in a Rust image, the runtime is Debian trixie slim
#                        with pg_dump 18 from the PostgreSQL project's own repository (PGDG).
#   local test (.ci/image, where no registry but Debian's can be reached):
#                        --build-arg BASE_IMAGE=<a debootstrapped trixie> --build-arg BINARY=host
#                        --build-arg PG_APT=debian --build-arg PG_MAJOR=17
#                        copies target/release/wpstage built on the host and takes Debian's client.
# Needs BuildKit (the default of current Docker): it skips the stages the chosen BINARY does not use.
#
# Why pg_dump 18: pg_dump refuses to dump a server of a newer major than itself but dumps every
# older one (back to 9.2), so the newest major serves every Railway Postgres: Railway's templates
# run PostgreSQL 16 and 17, and 18 images exist. Debian trixie's own client is 17 and would refuse
# an 18 server, so the local test image is only for the tests.

ARG BASE_IMAGE=debian:trixie-slim
ARG BINARY=compiled

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

# Where the binary comes from: compiled above, or built on the host (`cargo build --release`).
FROM scratch AS binary-compiled
COPY --from=build /build/target/release/wpstage /wpstage

FROM scratch AS binary-host
COPY target/release/wpstage /wpstage

# hadolint ignore=DL3006
FROM binary-${BINARY} AS binary

# The PostgreSQL client, installed in a throwaway stage: the runtime keeps only pg_dump, libpq and
# the Debian libraries they link (its Perl-based wrappers and their ~50 MB of Perl stay behind).
# pgdg: the PostgreSQL project's repository, set up by Debian's postgresql-common helper script;
# debian: the distribution's own client (trixie: 17).
# hadolint ignore=DL3006
FROM ${BASE_IMAGE} AS pgclient
ARG PG_APT=pgdg
ARG PG_MAJOR=18
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && if [[ "${PG_APT}" == pgdg ]]; then \
         apt-get install -y --no-install-recommends postgresql-common \
         && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
       fi \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && mkdir /pg \
    && bin="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" \
    && cp "${bin}" /pg/pg_dump \
    && cp -L "$(ldd "${bin}" | awk '$1 ~ /^libpq[.]so/ { print $3 }')" /pg/libpq.so.5 \
    && ldd "${bin}" | awk '$3 ~ /^\// { print $3 }' | xargs -n 1 realpath \
       | xargs dpkg -S | cut -d : -f 1 | grep -vx 'libpq5' | sort -u > /pg/packages

# The runtime: the same in both builds.
# hadolint ignore=DL3006
FROM ${BASE_IMAGE}
ARG PG_MAJOR=18
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=pgclient /pg/packages /tmp/pg-packages
# hadolint ignore=DL3008,SC2046
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates $(cat /tmp/pg-packages) \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /tmp/pg-packages
COPY --from=pgclient /pg/libpq.so.5 /usr/local/lib/libpq.so.5
COPY --from=pgclient /pg/pg_dump /usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump
RUN ldconfig \
    && ! ldd "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" | grep 'not found' \
    && "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" --version
COPY --from=binary /wpstage /usr/local/bin/wpstage
# No USER: GitHub runs container actions as root so they can write the workspace and the
# runner's file commands. Exec form with an absolute path; `args` from action.yml follow it.
ENTRYPOINT ["/usr/local/bin/wpstage", "action"]
