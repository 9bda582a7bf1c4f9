# syntax=docker/dockerfile:1
# Build: a static binary, no cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/avs-sync ./cmd/avs-sync
# The state directory, for the run stage (which has no shell to make it).
RUN mkdir -p /out/state && chmod 0755 /out/state

# Run: distroless static, non-root, nothing but the binary and CA certificates.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/avs-sync /usr/local/bin/avs-sync
# Owned by nonroot (65532): Docker copies a VOLUME's directory, owner and mode included, into a
# fresh named volume, so the checkpoint can be written from the first start.
COPY --from=build --chown=65532:65532 /out/state /var/lib/avs-sync
USER 65532:65532
VOLUME /var/lib/avs-sync
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/avs-sync"]
CMD ["watch", "--state-dir", "/var/lib/avs-sync"]
