FROM python:3.11-slim
# An unprivileged user: a process that escapes the simulator does not hold root in the container.
RUN useradd --create-home --uid 10001 --user-group socialsim && mkdir /runs && chown socialsim:socialsim /runs
WORKDIR /app
COPY pyproject.toml README.md ./
COPY socialsim socialsim
COPY simulator simulator
COPY services services
COPY dashboards dashboards
COPY config config
RUN pip install --no-cache-dir -e .
# The world's loops are compiled (numba) on their first run and cached beside the code, where the
# unprivileged user cannot write: compile them here, once, with a week's run (day ends and
# broadcasts included).
RUN socialsim compare credit-card-issuer --customers 100 --days 7 --out /tmp/warm-up --force \
    && rm -rf /tmp/warm-up
USER socialsim
ENTRYPOINT ["socialsim"]
CMD ["compare", "credit-card-issuer", "--out", "/runs/credit-card-issuer", "--force"]
