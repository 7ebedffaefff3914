# kafkaguard's container image: the static release binary, CA certificates,
# a non-root user, nothing else. FROM scratch, so building it pulls no base
# image. goreleaser builds it from its own context (dockers_v2 in
# .goreleaser.yaml); `make image-context` lays out the same context for a
# local `docker buildx build` (docs/release.md).
FROM scratch
ARG TARGETPLATFORM
COPY build/image/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY $TARGETPLATFORM/kafkaguard /usr/bin/kafkaguard
# distroless's "nonroot": no /etc/passwd needed for a numeric user.
USER 65532:65532
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/usr/bin/kafkaguard"]
CMD ["--help"]
