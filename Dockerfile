FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY socialsim socialsim
COPY simulator simulator
COPY services services
COPY dashboards dashboards
COPY config config
RUN pip install --no-cache-dir -e .
ENTRYPOINT ["socialsim"]
CMD ["compare", "credit-card-issuer", "--out", "/runs/credit-card-issuer"]
