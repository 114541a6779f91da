# docker.io/amazon/aws-cli:2.23.6 (the uploader of the backup and restore pods, in every bundle
# whose consumer sets `backup`). Upstream (github.com/aws/aws-cli, docker/Dockerfile): Amazon
# Linux 2 with the AWS CLI v2 2.23.6 installed from its own installer in /usr/local/aws-cli,
# /usr/local/bin/aws, bash as /bin/sh, coreutils, WORKDIR /aws, ENTRYPOINT ["/usr/local/bin/aws"],
# running as root (the pod runs it as the service's non-root user). Here: Debian trixie's awscli
# 2.23.6 (the same release, from the same sources) with dash as /bin/sh and coreutils, sed, grep
# and awk (the backup scripts are POSIX sh and use nothing else), linked to /usr/local/bin/aws;
# bash (Debian's minbase has it) for the `wait` init container's /dev/tcp, as upstream's bash.
REFS="docker.io/amazon/aws-cli:2.23.6"
build() {
  debian trixie dash coreutils sed grep mawk awscli ca-certificates
  mkdir -p "$ROOT/aws" "$ROOT/usr/local/bin"
  ln -sf /usr/bin/aws "$ROOT/usr/local/bin/aws"
  pack --entrypoint '["/usr/local/bin/aws"]' --workdir /aws
}
