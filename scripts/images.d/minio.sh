# quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z. Upstream: MinIO's release binary of that
# tag in /usr/bin/minio (with mc and curl) on ubi9/ubi-micro, ENTRYPOINT
# /usr/bin/docker-entrypoint.sh (arguments that are not `minio` become minio's), CMD minio,
# VOLUME /data, port 9000, the *_FILE variables below. Here: the same commit of
# github.com/minio/minio (0d7408fc9969, the tag's commit; the Go module proxy serves it as
# v0.0.0-20250422221226-0d7408fc9969) built with `go install`, on Debian trixie; our entrypoint
# with the same behaviour. No mc and no curl in the image (the bundle uses neither).
REFS="quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z"
build() {
  debian trixie ca-certificates
  go_bin github.com/minio/minio@v0.0.0-20250422221226-0d7408fc9969 minio
  mv "$ROOT/usr/local/bin/minio" "$ROOT/usr/bin/minio"
  copy_in docker-entrypoint.sh /usr/bin/docker-entrypoint.sh
  mkdir -p "$ROOT/data"
  pack --entrypoint '["/usr/bin/docker-entrypoint.sh"]' --cmd '["minio"]' \
    --env MINIO_ACCESS_KEY_FILE=access_key --env MINIO_SECRET_KEY_FILE=secret_key \
    --env MINIO_ROOT_USER_FILE=access_key --env MINIO_ROOT_PASSWORD_FILE=secret_key \
    --env MINIO_KMS_SECRET_KEY_FILE=kms_master_key --env MINIO_CONFIG_ENV_FILE=config.env \
    --env MC_CONFIG_DIR=/tmp/.mc --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --port 9000/tcp --volume /data
}
