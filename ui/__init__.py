"""The browser UI (Gradio): a face over copilot's services.

Gradio reads ``GRADIO_ANALYTICS_ENABLED`` when it is imported, so it is set here, before any module
of this package can import gradio: no usage reports leave the machine.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
