# boekbox: one image for every service (smtp, worker, ui, migrate); see docker-compose.yml.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-nld tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-eng \
        poppler-utils fonts-dejavu-core \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY intake/ intake/
COPY extractors/ extractors/
COPY peppol/ peppol/
COPY booking/ booking/
COPY review_ui/ review_ui/
COPY storage/ storage/
COPY pipeline/ pipeline/
COPY invoicing/ invoicing/
COPY ledger/ ledger/
RUN pip install -c constraints.txt . && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/boekbox boekbox \
    && mkdir -p /var/lib/boekbox/blobs \
    && chown -R boekbox:boekbox /var/lib/boekbox

USER boekbox
WORKDIR /var/lib/boekbox
ENV BOEKBOX_DATABASE_URL=sqlite:////var/lib/boekbox/boekbox.db \
    BOEKBOX_BLOB_STORE=/var/lib/boekbox/blobs \
    BOEKBOX_BROKER_URL=/var/lib/boekbox/queue.db \
    BOEKBOX_SMTP_HOST=0.0.0.0 \
    BOEKBOX_UI_HOST=0.0.0.0

EXPOSE 2525 8501
CMD ["boekbox", "up"]
