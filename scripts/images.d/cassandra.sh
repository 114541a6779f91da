# docker.io/library/cassandra:5.0.5. Upstream: the Apache binary distribution 5.0.5 in
# /opt/cassandra on eclipse-temurin:17-jre (Ubuntu), user cassandra 999:999, CASSANDRA_HOME
# /opt/cassandra, CASSANDRA_CONF /etc/cassandra (the distribution's conf/, linked back from
# /opt/cassandra/conf), data /var/lib/cassandra, logs /var/log/cassandra, ENTRYPOINT
# docker-entrypoint.sh (CASSANDRA_* variables into cassandra.yaml and
# cassandra-rackdc.properties, then the command), CMD cassandra -f, ports 7000 7001 7199 9042
# 9160. Here: Cassandra 5.0.5's jars (cassandra-all and its runtime dependencies) from Maven
# Central in /opt/cassandra/lib; Debian bookworm's OpenJDK 17 (Cassandra 5.0 runs on 11 or 17;
# trixie has only 21); our entrypoint, bin/cassandra, bin/nodetool, cassandra-env.sh, options
# files, cassandra.yaml and logback.xml (the distribution's scripts and conf/ are in no
# registry): same variables, same paths, same main classes. cqlsh is Apache Cassandra's own,
# version 6.2.2 (Cassandra 5.0's), from PyPI's `cqlsh` (the project's cqlshlib packaged
# alone), on the DataStax driver 3.29.2 (the one Cassandra 5.0 bundles; PyPI's manylinux wheel:
# Debian's 3.25 lacks the vector type cqlsh imports), Debian's python3-geomet, python3-pure-sasl
# and python3-wcwidth; no sstable tools.
REFS="docker.io/library/cassandra:5.0.5"
build() {
  debian bookworm openjdk-17-jre-headless bash iproute2 procps python3 python3-geomet python3-pure-sasl python3-wcwidth
  local home=/opt/cassandra
  maven_libs pom.xml "$home/lib"
  add_user cassandra 999 /home/cassandra
  mkdir -p "$ROOT/etc/cassandra" "$ROOT/var/lib/cassandra" "$ROOT/var/log/cassandra" "$ROOT$home/bin" "$ROOT/home/cassandra"
  local f
  for f in cassandra.yaml cassandra-rackdc.properties cassandra-env.sh jvm-server.options jvm17-server.options \
           logback.xml logback-tools.xml; do copy_in "$f" "/etc/cassandra/$f" 0644; done
  copy_in cassandra "$home/bin/cassandra"
  copy_in nodetool "$home/bin/nodetool"
  pypi_wheel cassandra-driver==3.29.2 1e89de04809d02bb1d5d03c0946a7baaaf85e93d7e6414885b4ea2616efe9de0 /usr/lib/python3/dist-packages
  pypi_wheel cqlsh==6.2.2 959140b661e67a03d206f2d05ae6ceb91970ed9e1bf72407eed93cef11ebcaa1 /usr/lib/python3/dist-packages
  copy_in cqlsh "$home/bin/cqlsh"
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  ln -sT /etc/cassandra "$ROOT$home/conf"
  ln -sT /var/lib/cassandra "$ROOT$home/data"
  ln -sT /var/log/cassandra "$ROOT$home/logs"
  chown -R 999:999 "$ROOT/etc/cassandra" "$ROOT/var/lib/cassandra" "$ROOT/var/log/cassandra" "$ROOT/home/cassandra"
  chmod 1777 "$ROOT/etc/cassandra" "$ROOT/var/lib/cassandra" "$ROOT/var/log/cassandra"
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["cassandra","-f"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$home/bin \
    --env CASSANDRA_HOME=$home --env CASSANDRA_CONF=/etc/cassandra \
    --env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    --port 7000/tcp --port 7001/tcp --port 7199/tcp --port 9042/tcp --port 9160/tcp \
    --volume /var/lib/cassandra
}

# here rather than in lib/image-helpers.sh, whose every change rebuilds every image
pypi_wheel() { # NAME==VERSION SHA256 DIR : a wheel from PyPI (pure Python, or built for the
  # image's Python), its checksum checked, unpacked into $ROOT/DIR, without its dependencies
  # (the definition's Debian packages provide them)
  local d whl
  d="$(mktemp -d)"
  # for the image's Python (Debian bookworm's 3.11 on x86-64), whatever runs this script
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    --python-version 3.11 --implementation cp --disable-pip-version-check -d "$d" "$1" >&2 \
    || { rm -rf "$d"; die "$1: not downloaded from PyPI"; }
  whl="$(find "$d" -name '*.whl' | head -1)"
  echo "$2  $whl" | sha256sum -c --quiet - >&2 || { rm -rf "$d"; die "$1: its sha256 is not $2"; }
  mkdir -p "$ROOT$3"
  python3 -m zipfile -e "$whl" "$ROOT$3"
  rm -rf "$d"
}
