# syntax=docker/dockerfile:1
# Build: a static binary, no cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/avs-sync ./cmd/avs-sync

# Run: distroless static, non-root, nothing but the binary and CA certificates.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/avs-sync /usr/local/bin/avs-sync
USER nonroot:nonroot
VOLUME /var/lib/avs-sync
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/avs-sync"]
CMD ["watch", "--state-dir", "/var/lib/avs-sync"]
