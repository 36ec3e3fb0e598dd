"""A real S3 protocol server on loopback for the object-storage tests (moto from PyPI).

    python moto_s3.py serve BUCKET        start on 127.0.0.1, a free port; create BUCKET;
                                          print "endpoint http://127.0.0.1:PORT"; serve until
                                          stdin closes (the test holds the pipe)
    python moto_s3.py duckdb ENDPOINT BUCKET PREFIX SQL
                                          read the current manifest of the dataset at
                                          s3://BUCKET/PREFIX, fetch the files it lists with
                                          boto3 and run SQL in DuckDB over them (views named
                                          after the tables); print the rows as JSON
    python moto_s3.py objects ENDPOINT BUCKET PREFIX
                                          print {key below PREFIX/: {"content_type", "sha256"}}
                                          of every object under s3://BUCKET/PREFIX/ as JSON
"""
import json
import os
import sys
import tempfile


def client(endpoint):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def serve(bucket):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client(endpoint).create_bucket(Bucket=bucket)
    print(f"endpoint {endpoint}", flush=True)
    sys.stdin.read()
    server.stop()


def duckdb_query(endpoint, bucket, prefix, sql):
    import duckdb

    s3 = client(endpoint)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_manifest/")
    names = sorted(o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".json"))
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=names[-1])["Body"].read())
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        for table, files in manifest["tables"].items():
            paths = []
            for f in files["files"]:
                local = os.path.join(tmp, f["path"].replace("/", "__"))
                s3.download_file(bucket, f"{prefix}/{f['path']}", local)
                paths.append(local)
            if paths:
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({paths!r})")
        rows = con.execute(sql).fetchall()
    print(json.dumps([list(r) for r in rows], default=str))


def objects(endpoint, bucket, prefix):
    import hashlib

    s3 = client(endpoint)
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for o in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=o["Key"])
            out[o["Key"][len(prefix) + 1:]] = {
                "content_type": got.get("ContentType"),
                "sha256": hashlib.sha256(got["Body"].read()).hexdigest(),
            }
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "duckdb":
        duckdb_query(*sys.argv[2:6])
    elif sys.argv[1] == "objects":
        objects(*sys.argv[2:5])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
