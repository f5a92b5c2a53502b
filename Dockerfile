# Tradewind web app under gunicorn. Embedded default: SQLite and a local Anvil node (the pinned npm package,
# started by the app on 127.0.0.1 inside the container) with the database and the chain kept in /data.
# Production: set DATABASE_URL, CHAIN_RPC_URL, TRADEWIND_MASTER_KEY, TRADEWIND_SECRET_KEY (and
# CHAIN_OPERATOR_KEY, STABLECOIN_ADDRESS), and run `tradewind worker` from the same image beside it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TRADEWIND_INSTANCE=/data SESSION_COOKIE_SECURE=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential nodejs npm \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && node_modules/.bin/anvil --version
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY marketplace marketplace
COPY i18n i18n
COPY contracts/build contracts/build
RUN pip install --no-cache-dir -e . \
 && for po in i18n/translations/*/LC_MESSAGES/messages.po; do pybabel compile -i "$po" -o "${po%.po}.mo"; done \
 && useradd --create-home tradewind && mkdir -p /data && chown tradewind /data
USER tradewind
VOLUME /data
EXPOSE 8000
# One worker process: on the embedded default it owns the chain node and the worker thread. The first start
# deploys the contracts, hence the longer timeout.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "1", "--threads", "8", "--timeout", "120", "marketplace.wsgi:app"]
