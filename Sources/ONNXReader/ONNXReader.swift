import CONNXProto
import CProtobufC
import GraphIR
