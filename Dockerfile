# One image for the four services (and the topic setup job); compose.yaml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY shared ./shared
COPY services ./services
COPY config ./config
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --uid 10001 --no-create-home app
USER app
ENV HTTP_HOST=0.0.0.0
