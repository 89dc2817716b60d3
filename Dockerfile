# ccserver production image. Build: docker build -t ccserver .
# The Asterisk sandbox (`ccserver sandbox ...`) is for development and tests; it does not run in here.
# IVR prompts are sound files for the Asterisk host: render them there (`make prompts`, see README);
# this image needs neither espeak-ng nor sox.

# --- builder: wheels for ccserver and everything it depends on -------------------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml ./
COPY ccserver ./ccserver
RUN pip wheel --wheel-dir /wheels .

# --- runtime ---------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    CCSERVER_HTTP_BIND=0.0.0.0:8080 \
    CCSERVER_AGI_BIND=0.0.0.0:4573 \
    CCSERVER_SPOOL_DIR=/var/spool/ccserver

RUN useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin ccserver \
    && mkdir -p /var/spool/ccserver \
    && chown ccserver:ccserver /var/spool/ccserver

COPY --from=builder /wheels /tmp/wheels
RUN pip install --no-index --find-links=/tmp/wheels ccserver && rm -rf /tmp/wheels

# `ccserver migrate` finds alembic.ini in the working directory; `ccserver config check --dir /app`
# validates the Asterisk files shipped beside it.
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY asterisk-conf ./asterisk-conf
COPY dialplans ./dialplans
# The IVR reads its flows (dialplans/ivr) and checks their prompts exist (ivr_prompts) from /app.
COPY ivr_prompts ./ivr_prompts

USER ccserver
EXPOSE 8080 4573
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('CCSERVER_HTTP_BIND', '127.0.0.1:8080').rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
ENTRYPOINT ["ccserver"]
CMD ["serve"]
