# Graph Explorer as a container: docker build -t graph-explorer . && docker run -p 8501:8501 graph-explorer
# The sandbox needs the kernel's namespaces, Landlock and seccomp inside the container; Docker's
# default profile forbids creating namespaces, so run it with:
#   docker run -p 8501:8501 --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#              --cap-add SYS_ADMIN graph-explorer
# Strict mode (set below) refuses to run user code when a layer is missing: the About page says which.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
# The CPU build of torch (PyPI's Linux wheel is the CUDA one, several GB), then the rest.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e .

ENV EXPLORER_SANDBOX=strict
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "explorer/app.py", "--server.port=8501", "--server.address=0.0.0.0"]
