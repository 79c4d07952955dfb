#!/usr/bin/env bash
# Install Debian's headless browser for `make test-browser`: chromium and its driver (the browser
# test drives Chromium through the DevTools protocol; chromium-driver is for tools that use
# WebDriver). Also npm, which `make book-offline` uses to install MathJax. Idempotent: does
# nothing when they are already installed. Needs root (or sudo), and Debian's package archive.
set -euo pipefail

packages=(chromium chromium-driver npm)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# npm may come from elsewhere (a Node.js install): then it is not needed from Debian.
if command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_browser: chromium, chromium-driver and npm are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_browser: run as root (apt-get)"; exit 1; }
  sudo="sudo"
fi
echo "install_browser: apt-get install ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
/usr/bin/chromium --version
