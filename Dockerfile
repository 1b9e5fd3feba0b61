# chanwatch: one process (reader + bot + scheduler + deliverer) over a SQLite file in /data.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/chanwatch.db \
    SESSION_PATH=/data/chanwatch.session
RUN useradd --create-home --uid 10001 chanwatch \
    && mkdir /data && chown chanwatch:chanwatch /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER chanwatch
WORKDIR /home/chanwatch
VOLUME ["/data"]
# Secrets come from the environment or an env file at run time, never from the image.
ENTRYPOINT ["chanwatch"]
CMD ["run"]
