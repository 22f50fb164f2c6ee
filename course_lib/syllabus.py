"""The syllabus: the course's notebooks, in order, each with its topic.

Its own module, below both :mod:`course_lib.report` (the course report's table, README's syllabus) and
:mod:`course_lib.messages` (which puts each topic in the run-time catalog, so the Chinese sites' syllabus
table is translated like every other message).

>>> SYLLABUS["01"]
('01_tensors', 'Tensors')
"""

from __future__ import annotations

#: The syllabus: notebook number -> (file stem, topic). README's table is checked against it.
SYLLABUS: dict[str, tuple[str, str]] = {
    "00": ("00_welcome_and_setup", "Welcome & setup: install, doctor, devices, fast mode"),
    "01": ("01_tensors", "Tensors"),
    "02": ("02_autograd", "Autograd"),
    "03": ("03_nn_modules", "nn modules"),
    "04": ("04_losses_and_optimizers", "Losses & optimizers"),
    "05": ("05_data_pipelines", "Data pipelines: images and text"),
    "06": ("06_training_loop", "The training loop"),
    "07": ("07_visualization_and_debugging", "Visualization & debugging"),
    "08": ("08_cnn_image_classification", "CNN image classification (MNIST)"),
    "09": ("09_medical_imaging_ct", "Medical imaging: lung CT"),
    "10": ("10_gan_image_generation", "GAN image generation"),
    "11": ("11_text_classification_rnn", "Tweet sentiment with RNNs"),
    "12": ("12_text_classification_transformer", "Tweet sentiment with a Transformer"),
    "13": ("13_seq2seq_translation", "Seq2seq translation en→fr"),
    "14": ("14_gnn_social_networks", "GNNs for social networks"),
    "15": ("15_scaling_and_shipping", "Scaling & shipping"),
}
