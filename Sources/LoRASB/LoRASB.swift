@_exported import Tensor
@_exported import ModelIO
@_exported import Tokenizers
@_exported import NN
@_exported import Models
@_exported import Adapters
@_exported import Training
