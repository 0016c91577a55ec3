"""Generic SQL runner for AWS Glue and EMR Serverless: executes one JobManifest (core/job-manifest.ts).

The PySpark twin of the emulator's DuckDB runner (emulator/jobs/run-manifest.ts), same semantics:
1. every input is a temp view over the Parquet files under its s3:// prefix; an absent optional input is
   an empty view typed by its `columns` hint (name -> Spark-SQL type); an absent required one fails;
2. `${logical_date}` is substituted; any other `${...}` left over is an error;
3. rows where `quarantineWhen` is TRUE (NULL counts as false) go to `quarantineUri` with
   `_quarantine_reason` (a SELECT column of that name is the per-row reason, else the predicate text),
   the others to `outputUri`; both prefixes are overwritten, one file each, even when empty;
4. each of `checks` ({name, sql}) is one SELECT over the view `_medallion_output` (the written rows) and
   the inputs, returning a `measured` column; the values go into the metrics as `checks` (the stage's
   activity holds them to their bounds);
5. JobMetrics JSON ({rowsIn, rowsOut, quarantined[, checks]}) is written to `metricsUri` on success.

Glue passes the manifest as `--medallion_manifest <json>`; EMR Serverless as `--manifest <json>`.
"""

import json
import re
import sys
from contextlib import contextmanager
from urllib.parse import urlparse

LOGICAL_DATE = "${logical_date}"
REASON = "_quarantine_reason"
FLAG = "__medallion_quarantined"
CHECKED_OUTPUT_VIEW = "_medallion_output"
REQUIRED_FIELDS = ("pipeline", "stageId", "logicalDate", "inputs", "sql", "outputUri", "quarantineUri", "metricsUri")


def read_manifest(argv):
    if "--manifest" in argv:
        position = argv.index("--manifest")
        if position + 1 >= len(argv):
            raise ValueError("--manifest must be followed by the manifest JSON")
        text = argv[position + 1]
    else:
        from awsglue.utils import getResolvedOptions  # only on Glue

        text = getResolvedOptions(argv, ["medallion_manifest"])["medallion_manifest"]
    manifest = json.loads(text)
    missing = [field for field in REQUIRED_FIELDS if field not in manifest]
    if missing:
        raise ValueError(f"manifest lacks {', '.join(missing)} (see core/job-manifest.ts)")
    return manifest


def substitute(sql, logical_date):
    text = sql.replace(LOGICAL_DATE, logical_date).strip().rstrip(";")
    leftover = re.search(r"\$\{[^}]*\}", text)
    if leftover:
        raise ValueError(f"unresolved placeholder {leftover.group(0)}; only {LOGICAL_DATE} is substituted")
    return text


def split_s3(uri):
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def has_parquet(s3, uri):
    bucket, prefix = split_s3(uri)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        if any(item["Key"].endswith(".parquet") for item in page.get("Contents", [])):
            return True
    return False


@contextmanager
def phase(stage_id, description):
    try:
        yield
    except Exception as error:  # re-raised with the stage and what the job was doing
        # Spark's messages start with a newline and run over many lines: keep their first words readable.
        reason = " ".join(line.strip() for line in str(error).strip().splitlines()[:3])
        raise RuntimeError(f"job {stage_id} failed while {description}: {reason}") from error


def register_input(spark, s3, job_input):
    name, uri = job_input["name"], job_input["uri"]
    if has_parquet(s3, uri):
        frame = spark.read.option("pathGlobFilter", "*.parquet").option("mergeSchema", "true").parquet(uri)
    elif not job_input.get("optional"):
        raise ValueError(f"required input has no Parquet files; check the stage that writes {uri}")
    elif not job_input.get("columns"):
        raise ValueError("optional input is absent and declares no `columns`; add a columns hint")
    else:
        ddl = ", ".join(f"{column} {kind}" for column, kind in job_input["columns"].items())
        frame = spark.createDataFrame([], schema=ddl)
    frame.createOrReplaceTempView(name)


# Session settings the job's semantics depend on, shared with the local Spark reference tier
# (test/support/python/spark_driver.py). The SQL runs in UTC (the plan binds day bounds as UTC timestamps), and
# TIMESTAMP columns are written as Parquet TIMESTAMP(isAdjustedToUTC=true, MICROS): the lake stores
# instants, the emulator's DuckDB runner writes the same (emulator/jobs/run-manifest.ts).
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.timestampType": "TIMESTAMP_LTZ",
}


def run_job(spark, s3, manifest):
    """Runs one manifest on a Spark session; returns the JobMetrics it wrote to metricsUri."""
    from pyspark.sql import functions as F

    stage = manifest["stageId"]
    for job_input in manifest["inputs"]:
        with phase(stage, f"registering input '{job_input['name']}' ({job_input['uri']})"):
            register_input(spark, s3, job_input)
    with phase(stage, "running the SQL"):
        result = spark.sql(substitute(manifest["sql"], manifest["logicalDate"]))
    predicate = manifest.get("quarantineWhen")
    with phase(stage, f"evaluating quarantineWhen ({predicate})"):
        flag = F.coalesce(F.expr(f"({predicate})"), F.lit(False)) if predicate else F.lit(False)
        flagged = result.withColumn(FLAG, flag).persist()
        rows_in = flagged.count()
        quarantined = flagged.filter(F.col(FLAG)).count()
    try:
        per_row_reason = predicate is not None and REASON in result.columns
        output = flagged.filter(~F.col(FLAG)).drop(FLAG, *([REASON] if per_row_reason else []))
        rejected = flagged.filter(F.col(FLAG)).drop(FLAG)
        reason_text = F.lit(predicate or "FALSE")
        rejected = rejected.withColumn(
            REASON, F.coalesce(F.col(REASON), reason_text) if per_row_reason else reason_text
        )
        with phase(stage, f"writing the output ({manifest['outputUri']})"):
            output.coalesce(1).write.mode("overwrite").parquet(manifest["outputUri"])
        with phase(stage, f"writing the quarantine ({manifest['quarantineUri']})"):
            rejected.coalesce(1).write.mode("overwrite").parquet(manifest["quarantineUri"])
        checks = measure_checks(spark, stage, output, manifest)
    finally:
        flagged.unpersist()
    metrics = {"rowsIn": rows_in, "rowsOut": rows_in - quarantined, "quarantined": quarantined}
    if manifest.get("checks"):
        metrics["checks"] = checks
    with phase(stage, f"writing metrics ({manifest['metricsUri']})"):
        bucket, key = split_s3(manifest["metricsUri"])
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(metrics).encode(), ContentType="application/json")
    return metrics


def measure_checks(spark, stage, output, manifest):
    """Runs each check SELECT over the written rows; returns name -> measured (a number or None)."""
    checks = {}
    if not manifest.get("checks"):
        return checks
    output.createOrReplaceTempView(CHECKED_OUTPUT_VIEW)
    for check in manifest["checks"]:
        with phase(stage, f"measuring check '{check['name']}'"):
            rows = spark.sql(substitute(check["sql"], manifest["logicalDate"])).collect()
            if rows and "measured" not in rows[0].asDict():
                raise ValueError("a check SELECT must return a column named measured")
            value = rows[0]["measured"] if rows else None
            checks[check["name"]] = None if value is None else int(value) if float(value).is_integer() else float(value)
    return checks


def main(argv):
    import boto3
    from pyspark.sql import SparkSession

    manifest = read_manifest(argv)
    builder = SparkSession.builder.appName(f"medallion-{manifest['pipeline']}-{manifest['stageId']}")
    for key, value in SESSION_CONFIG.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    run_job(spark, boto3.client("s3"), manifest)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
