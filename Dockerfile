# The usher image: one static binary on Debian with the Korean font the PDF
# tickets and reports need. Build with
#   docker build --build-arg VERSION=1.0.0 -t usher:1.0.0 .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/usher ./cmd/usher

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates fonts-nanum tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/usher --create-home usher
COPY --from=build /out/usher /usr/local/bin/usher
USER 10001
WORKDIR /var/lib/usher
ENV USHER_ADDR=0.0.0.0:8080 \
    USHER_DATA_DIR=/var/lib/usher/data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/usher"]
CMD ["serve"]
