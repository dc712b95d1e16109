# Graph Explorer as a container:
#   docker build -t graph-explorer . && docker run -p 8501:8501 graph-explorer
# No extra privileges: under Docker's default seccomp profile the sandbox cannot make
# namespaces, and takes its profile for such hosts (rlimits, a process-count limit, a uid per
# worker, no_new_privs, Landlock, seccomp, a private temp folder; see README "Hosting"). The
# image runs in strict mode: a run is refused if one of that profile's layers does not work,
# and the About page (or `docker run IMAGE python -m explorer doctor`) says which.
# Small hosts (1 to 3 GB): add `-e EXPLORER_MEMORY=small` (one spare worker, 384 MB per run).
FROM python:3.11-slim

# packages.txt: the Debian packages Community Cloud installs too (Graphviz, libseccomp2)
COPY packages.txt ./
RUN apt-get update \
    && xargs -a packages.txt apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* packages.txt

WORKDIR /app
COPY requirements.txt requirements-hosted.txt ./
# CPU torch from PyTorch's index (requirements-hosted.txt pins torch==2.13.0+cpu), the rest
# from PyPI
RUN pip install --no-cache-dir -r requirements-hosted.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e .

ENV EXPLORER_SANDBOX=strict
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "explorer/app.py", "--server.port=8501", "--server.address=0.0.0.0"]
