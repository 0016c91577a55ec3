"""One local Spark session (one JVM) that runs jobs/sql_runner.py's run_job for many manifests, so the
Spark reference tier (spark-runner.test.ts) pays Spark's start-up once.

argv:   <jobs dir> <local lake dir> <bucket> [<bucket> ...]
env:    AWS_ENDPOINT_URL_S3 (the emulator), AWS credentials and region: the job's own boto3 client
        (listing inputs, writing metrics) talks to the emulator's S3 over HTTP, as on Glue / EMR.
stdin:  one JSON manifest per line; stdout: one JSON line per manifest, {"metrics": {...}} or
        {"error": "..."}; {"ready": true} first, once the session is up.

Spark reads and writes the lake's Parquet files through Hadoop's ViewFileSystemOverloadScheme: s3://
<bucket>/<top folder>/... is mounted onto <lake dir>/<bucket>/<top folder>/..., the very files the
emulator's S3 serves. (S3A against the emulator is not used: S3A creates `dir/` marker objects, which
the emulator's file-backed S3 cannot store.)
"""

import json
import sys
import time

LAKE_FOLDERS = ("bronze", "silver", "gold", "quarantine")


def session(lake_dir, buckets, session_config):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("medallion-spark-reference-tier")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.hadoop.fs.s3.impl", "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme")
        .config("spark.hadoop.fs.viewfs.overload.scheme.target.s3.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        # No .crc side files next to the part files: the emulator would list them as objects.
        .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        .config("spark.hadoop.fs.file.impl.disable.cache", "true")
    )
    for bucket in buckets:
        for folder in LAKE_FOLDERS:
            builder = builder.config(
                f"spark.hadoop.fs.viewfs.mounttable.{bucket}.link./{folder}",
                f"file://{lake_dir}/{bucket}/{folder}",
            )
    for key, value in session_config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(argv):
    jobs_dir, lake_dir, buckets = argv[1], argv[2], argv[3:]
    sys.path.insert(0, jobs_dir)
    import boto3
    import sql_runner

    started = time.time()
    spark = session(lake_dir, buckets, sql_runner.SESSION_CONFIG)
    s3 = boto3.client("s3")
    reply({"ready": True, "startSeconds": round(time.time() - started, 1)})
    for line in sys.stdin:
        if not line.strip():
            continue
        manifest = json.loads(line)
        # Each Glue / EMR run has a fresh session: no view of an earlier job may leak into this one.
        for table in spark.catalog.listTables():
            if table.isTemporary:
                spark.catalog.dropTempView(table.name)
        try:
            reply({"metrics": sql_runner.run_job(spark, s3, manifest)})
        except Exception as error:  # reported to the test, which decides
            reply({"error": str(error)[:2000]})
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
